# -*- coding: latin-1 -*-
import os

NAME = "café"


def f(x):
    return x == None
