"""Tests of commons.posts."""
