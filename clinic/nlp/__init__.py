"""Language processing for the clinic: the spaCy pipeline and Rasa components."""
