"""The agent operator: reconciles `Agent` resources into plain Kubernetes objects with Kopf.

Layers import one way (checked by import-linter): `handlers > reconcile > state >
kube/status > ownership > builders/drift > spec`.
"""
