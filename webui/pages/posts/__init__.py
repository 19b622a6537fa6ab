"""The pages of posts: a thread, writing and editing, reactions, the timelines and search."""
