"""Tests of commons.events."""
