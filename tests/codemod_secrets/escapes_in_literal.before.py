import sys

sys.stdout.write("Authorization: token ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R\r\n\tnext")
