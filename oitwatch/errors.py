"""Errors that mean "the user gave us bad input": the CLI prints them and exits with code 2."""


class InputError(Exception):
    """Bad input named precisely: which file/row/column or which argument, and what is wrong."""
