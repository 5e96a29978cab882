"""Docstring that quotes a token: ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R."""
import os

LOOKUP = {"ghp_qDlRtQxiDX3pCNycLapim86tIxX5puQJCBEe": "bot"}
print(LOOKUP["ghp_qDlRtQxiDX3pCNycLapim86tIxX5puQJCBEe"])
print("token ghp_PLu2Gk1oApccFt0MQeI72fjyK8x6Mjh9XXgC %s" % "x")
print("token ghp_PLu2Gk1oApccFt0MQeI72fjyK8x6Mjh9XXgC {}".format("x"))
RAW = b"AKIACVUPFQ2ZKY5P7R74"
