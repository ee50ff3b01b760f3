"""trialdesk."""
