"""Pages of the members' proposals to their collectives: listing, proposing, supporting, answering."""
