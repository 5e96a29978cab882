import subprocess
import os

REMOTE = "https://bot:" + os.environ["URL_PASSWORD"] + "@git.example.com/org/repo.git"
subprocess.run(["git", "push", REMOTE, "HEAD:main"], check=True)
PUBLIC = "https://git.example.com/org/repo.git"
