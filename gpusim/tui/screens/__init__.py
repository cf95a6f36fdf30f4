"""The explorer's screens besides the main one: help, compare, and the path prompt."""
