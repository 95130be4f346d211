#!/bin/sh
echo "hello" > /dev/null
