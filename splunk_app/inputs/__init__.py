"""Each data set declared once, how its records become events, and the one runner that pulls any of them."""
