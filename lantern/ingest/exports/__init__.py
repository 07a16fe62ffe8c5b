"""Pure writers of the returns a partner agency sends on from Lantern (no Django): the service layer
reads what a viewer may see and hands plain data to these modules."""
