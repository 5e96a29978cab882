# -*- coding: utf-8 -*-
import json   # keep this spacing
import os

TOKEN   =   (  os.environ['GH_PAT']  )   # the bot's token; rotate!
SETTINGS = dict(
	retries = 3 ,   # tabs and spaces
	api_key=os.environ['API_KEY'],
)

def headers(   ) :
    return { 'Authorization' : 'token ' + TOKEN }   # trailing comment
