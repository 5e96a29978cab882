# -*- coding: utf-8 -*-
import json   # keep this spacing

TOKEN   =   (  'ghp_KcBEKanD0F0rPZkcHFuep88VxcA3iMwyAs0R'  )   # the bot's token; rotate!
SETTINGS = dict(
	retries = 3 ,   # tabs and spaces
	api_key=r'MFekFRD5ziAILwIyFSkJCg9A',
)

def headers(   ) :
    return { 'Authorization' : 'token ' + TOKEN }   # trailing comment
