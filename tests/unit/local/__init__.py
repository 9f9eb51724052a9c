"""Tests of the local runners (customersignal.local)."""
