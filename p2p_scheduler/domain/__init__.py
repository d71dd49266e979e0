"""The pure domain: plain values in, plain values out (no session, no HTTP, no now())."""
