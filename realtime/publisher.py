def publish_after_commit(events):
    pass
