# doc/: the protocol specification, installed for serguard-protocol(7).
dist_doc_DATA = doc/PROTOCOL.md
