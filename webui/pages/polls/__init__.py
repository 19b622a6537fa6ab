"""Pages of the collectives' polls: listing, one poll with its results, holding one, voting."""
