"""Edge deploy on approval: an approved model package becomes a Greengrass V2 component deployed to a thing group."""
