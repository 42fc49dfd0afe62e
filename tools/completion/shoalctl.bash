# bash completion for shoalctl (installed as
# /usr/share/bash-completion/completions/shoalctl). Commands, their
# subcommands, the common options, files where a document is expected.
_shoalctl() {
  local cur prev words cword
  _init_completion || return
  local commands="allocate plan policy status nodes apps app pipes mode history report events keyring explain whatif suggest"
  local common="--node --token --token-file --timeout-ms --sealed --json -o --output --no-headers --help"
  local sub=""
  case "${words[1]}" in
    policy) sub="validate push show versions history diff rollback" ;;
    keyring) sub="list install use remove" ;;
    history) sub="app node pipe pool events delete archive mount unmount export" ;;
    mode) sub="monitor enforce" ;;
    whatif) common="$common --since --from --to --step --nodes --without-node --move" ;;
    suggest) common="$common --since --from --to --step --percentile --headroom --out" ;;
    report) common="$common --since --from --to --step --archive --squeezed-above --idle-below" ;;
  esac
  case "$prev" in
    --token-file|--admin-key|--out|--events-out) _filedir; return ;;
    --node) return ;;
    -o|--output) COMPREPLY=($(compgen -W "table wide json" -- "$cur")); return ;;
  esac
  if [ "$cword" -eq 1 ]; then
    COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
  elif [ "$cword" -eq 2 ] && [ -n "$sub" ]; then
    COMPREPLY=($(compgen -W "$sub" -- "$cur"))
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$common" -- "$cur"))
  else
    case "${words[1]}" in
      allocate|plan) _filedir json ;;
      policy|whatif) _filedir xml ;;
      keyring) _filedir key ;;
    esac
  fi
}
complete -F _shoalctl shoalctl
