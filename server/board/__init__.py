"""The supervisor's live board: every unit with its status, call, crew and position; the
premises worth showing on the map; and the optional basemap drawn under them."""
