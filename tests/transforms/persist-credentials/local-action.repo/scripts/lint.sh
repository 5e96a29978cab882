#!/bin/sh
# does not push
npx eslint .
