#!/bin/sh
# Starts netassist.exe under wine with the arguments given, in place of the
# Linux binary: dist/windows/check-wine.sh points the tests' NETASSIST_BIN
# here and sets NETASSIST_EXE, WINEPREFIX and WINEDEBUG. `exec` keeps the
# process id, so a test that kills "netassist" kills the Windows program.
exec wine "${NETASSIST_EXE:?set NETASSIST_EXE to the netassist.exe to run}" "$@"
