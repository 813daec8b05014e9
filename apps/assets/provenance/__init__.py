"""Machine-readable marking of delivered image files (EU AI Act Art. 50).

Two independent marks, because each fails differently: the C2PA manifest
(``c2pa``) is signed and detailed but lives in metadata that any re-encode
strips; the invisible watermark (``watermark``) survives re-encoding and
resizing but only carries a short asset-id prefix. ``certs`` makes and checks
the signing certificate the manifest needs.
"""
