import os
import sys


def f(x):
    if x == None:
        return sys.argv
    return 1
