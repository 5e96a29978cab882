import base64

auth = base64.b64encode("bot:ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R".encode())
parts = [*"token ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R".split()]
size = 2 * len("Bearer ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R")
first = "Bearer ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R"[0]
