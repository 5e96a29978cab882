def deploy() -> None:
    import os
    os.environ["NPM_TOKEN"] = "npm_kZm8wBACpRrjNHl3hrDtkQP80lXlEXwuBoaI"


def late() -> str:
    token = "ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R"
    import os
    return os.path.join(token)
