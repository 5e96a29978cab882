import os as _os
import sys

TOKEN = "ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R"
print(_os.getcwd(), sys.argv)
