TOKEN = ("ghp_KcBEKanD0F0rPZkc"
         "HFuep88VxcA3iMwyAs0R")
HEADER = ("Authorization: token "
          "ghp_qDlRtQxiDX3pCNycLapim86tIxX5puQJCBEe")
