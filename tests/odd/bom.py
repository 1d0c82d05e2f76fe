import os


def f(x):
    """BOM file."""
    return x == None
