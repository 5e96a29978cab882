import json

TOKEN = "ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R"
print(json.dumps({"ok": True}))
