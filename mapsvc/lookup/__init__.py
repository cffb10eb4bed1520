"""Where am I and what is nearest: locate, nearest sites with walking distance, name search."""
