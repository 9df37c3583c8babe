"""The kind end-to-end suite: the real images and chart on a real (kind) cluster."""
