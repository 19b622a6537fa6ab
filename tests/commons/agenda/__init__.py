"""Tests of commons.agenda."""
