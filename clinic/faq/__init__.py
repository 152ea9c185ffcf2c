"""Authoring and checking the knowledge base: `clinic faq add|check|import|from-unanswered|baseline`."""
