"""Printable slips (forms 01-06 and the return receipt). ``text`` renders them for the terminal."""
