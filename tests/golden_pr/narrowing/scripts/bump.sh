#!/bin/sh
set -e
npm update
