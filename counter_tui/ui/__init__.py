"""The Textual app the clerk uses all day: screens call the desk's use cases, never the store."""
