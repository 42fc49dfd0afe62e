# What `cmake --install` puts where, for the Debian package
# (scripts/package.sh stages it with DESTDIR and --prefix /usr). The
# configuration goes to /etc/shoal whatever the prefix: it is what the
# unit names.
include(GNUInstallDirs)
install(TARGETS shoald shoalctl shoal-sim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES daemon/shoald.service DESTINATION /lib/systemd/system)
install(FILES daemon/shoald.toml.example DESTINATION /etc/shoal RENAME shoald.toml)
install(FILES examples/policies/small.xml examples/policies/small-reversed.xml examples/policies/full.xml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/shoal/policies)
install(FILES examples/plan/small-pool.json DESTINATION ${CMAKE_INSTALL_DATADIR}/shoal/plan)
install(FILES policy/shoal-policy.xsd DESTINATION ${CMAKE_INSTALL_DATADIR}/shoal)
# Where net-snmp tools look for MIBs (snmptrapd -m +SHOAL-MIB).
install(FILES daemon/events/SHOAL-MIB.txt DESTINATION ${CMAKE_INSTALL_DATADIR}/snmp/mibs)
install(FILES tools/completion/shoalctl.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME shoalctl)
