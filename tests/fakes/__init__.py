"""Stand-ins for the outside systems the site talks to, each speaking the real protocol over loopback."""
