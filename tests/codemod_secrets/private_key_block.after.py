import paramiko
import os

DEPLOY_KEY = os.environ["DEPLOY_KEY"] + """
"""
client = paramiko.SSHClient()
