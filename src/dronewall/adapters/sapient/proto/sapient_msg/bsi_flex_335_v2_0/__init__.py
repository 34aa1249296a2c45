"""Generated SAPIENT bindings (see tools/gen_sapient_proto.py)."""
