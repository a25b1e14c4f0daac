"""Code shared by every Vigil component: configuration, names, messages, codec, tables."""
