"""Pages of the petitions and initiatives of collectives: listing, one petition, drafting with a promoter committee, signing, paper signatures, exports and the audit."""
