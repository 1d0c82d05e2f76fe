import os


def f(x):
	if x == None:
		return 1
	return 2
