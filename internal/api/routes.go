package api

// routeTable lists every API route in one place. Paths are matched
// case-insensitively without the ".json" suffix; the longest route wins and
// the remaining segments become positional arguments. MISP clients send
// POST for every write, so edit and delete also accept POST.
func (s *Server) routeTable() []route {
	const (
		get     = "GET"
		post    = "POST"
		getPost = "GET POST"
		edit    = "POST PUT"
		del     = "POST DELETE"
	)
	return []route{
		{methods: get, path: "servers/getVersion", h: s.getVersion},
		{methods: get, path: "servers/getPyMISPVersion", h: s.getPyMISPVersion},
		{methods: get, path: "users/view", h: s.viewUser},
		{methods: get, path: "attributes/describeTypes", h: s.describeTypes},
		{methods: get, path: "roles/index", h: s.rolesIndex},
		{methods: get, path: "roles", h: s.rolesIndex},

		{methods: getPost, path: "events/index", h: s.eventsIndex},
		{methods: getPost, path: "events", h: s.eventsIndex},
		{methods: getPost, path: "events/view", h: s.eventView},
		{methods: post, path: "events/add", h: s.eventAdd},
		{methods: edit, path: "events/edit", h: s.eventEdit},
		{methods: del, path: "events/delete", h: s.eventDelete},
		{methods: post, path: "events/publish", h: s.eventPublish},
		{methods: post, path: "events/unpublish", h: s.eventUnpublish},
		{methods: getPost, path: "events/restSearch", h: s.eventsRestSearch},
		{methods: post, path: "events/addTag", h: s.eventAddTag},
		{methods: post, path: "events/removeTag", h: s.eventRemoveTag},

		{methods: post, path: "attributes/add", h: s.attributeAdd},
		{methods: edit, path: "attributes/edit", h: s.attributeEdit},
		{methods: del, path: "attributes/delete", h: s.attributeDelete},
		{methods: get, path: "attributes/view", h: s.attributeView},
		{methods: post, path: "attributes/restore", h: s.attributeRestore},
		{methods: getPost, path: "attributes/restSearch", h: s.attributesRestSearch},
		{methods: post, path: "attributes/addTag", h: s.attributeAddTag},
		{methods: post, path: "attributes/removeTag", h: s.attributeRemoveTag},

		{methods: post, path: "objects/add", h: s.objectAdd},
		{methods: edit, path: "objects/edit", h: s.objectEdit},
		{methods: del, path: "objects/delete", h: s.objectDelete},
		{methods: get, path: "objects/view", h: s.objectView},

		{methods: getPost, path: "tags/index", h: s.tagsIndex},
		{methods: get, path: "tags", h: s.tagsIndex},
		{methods: get, path: "tags/view", h: s.tagView},
		{methods: post, path: "tags/add", h: s.tagAdd},
		{methods: edit, path: "tags/edit", h: s.tagEdit},
		{methods: del, path: "tags/delete", h: s.tagDelete},
		{methods: getPost, path: "tags/search", h: s.tagSearch},
		{methods: post, path: "tags/attachTagToObject", h: s.attachTagToObject},
		{methods: post, path: "tags/removeTagFromObject", h: s.removeTagFromObject},

		{methods: get, path: "correlations/top", h: s.correlationsTop},
		{methods: get, path: "correlations/overCorrelatingValues", h: s.correlationsOver},
		{methods: get, path: "correlations/stats", h: s.correlationsStats},

		{methods: post, path: "sightings/add", h: s.sightingAdd},
		{methods: get, path: "sightings/index", h: s.sightingsIndex},

		{methods: get, path: "organisations/index", h: s.orgsIndex},
		{methods: get, path: "organisations", h: s.orgsIndex},
		{methods: get, path: "organisations/view", h: s.orgView},
		{methods: post, path: "admin/organisations/add", h: s.orgAdd},
		{methods: edit, path: "admin/organisations/edit", h: s.orgEdit},
		{methods: del, path: "admin/organisations/delete", h: s.orgDelete},

		{methods: get, path: "admin/users/index", h: s.usersIndex},
		{methods: get, path: "admin/users", h: s.usersIndex},
		{methods: get, path: "admin/users/view", h: s.adminUserView},
		{methods: post, path: "admin/users/add", h: s.userAdd},
		{methods: edit, path: "admin/users/edit", h: s.userEdit},
		{methods: del, path: "admin/users/delete", h: s.userDelete},

		{methods: get, path: "feeds/index", h: s.feedsIndex},
		{methods: get, path: "feeds", h: s.feedsIndex},
		{methods: get, path: "feeds/view", h: s.feedView},
		{methods: post, path: "feeds/add", h: s.feedAdd},
		{methods: edit, path: "feeds/edit", h: s.feedEdit},
		{methods: del, path: "feeds/delete", h: s.feedDelete},
		{methods: post, path: "feeds/enable", h: s.feedEnable},
		{methods: post, path: "feeds/disable", h: s.feedDisable},
		{methods: getPost, path: "feeds/fetchFromFeed", h: s.feedFetch},
		{methods: getPost, path: "feeds/fetchFromAllFeeds", h: s.feedFetchAll},
		{methods: getPost, path: "feeds/cacheFeeds", h: s.feedCache},
		{methods: get, path: "feeds/previewIndex", h: s.feedPreview},
		{methods: post, path: "feeds/loadDefaultFeeds", h: s.feedLoadDefaults},

		// This instance's own MISP feed: <base>/feed is the URL a consumer adds.
		{methods: get, path: "feed/manifest", h: s.feedManifest},
		{methods: get, path: "feed/hashes.csv", h: s.feedHashes},
		{methods: get, path: "feed", h: s.feedEvent, positional: true},

		{methods: post, path: "auth_keys/add", h: s.authKeyAdd},
		{methods: getPost, path: "auth_keys/index", h: s.authKeysIndex},
		{methods: get, path: "auth_keys/view", h: s.authKeyView},
		{methods: del, path: "auth_keys/delete", h: s.authKeyDelete},

		{methods: get, path: "sharing_groups/index", h: s.sharingGroupsIndex},
		{methods: get, path: "sharingGroups/index", h: s.sharingGroupsIndex},
		{methods: get, path: "sharing_groups/view", h: s.sharingGroupView},
		{methods: post, path: "sharing_groups/add", h: s.sharingGroupAdd},
		{methods: post, path: "sharing_groups/addOrg", h: s.sharingGroupAddOrg},
		{methods: post, path: "sharingGroups/addOrg", h: s.sharingGroupAddOrg},
		{methods: post, path: "sharing_groups/removeOrg", h: s.sharingGroupRemoveOrg},
		{methods: post, path: "sharingGroups/removeOrg", h: s.sharingGroupRemoveOrg},
		{methods: del, path: "sharing_groups/delete", h: s.sharingGroupDelete},

		{methods: getPost, path: "warninglists/index", h: s.warninglistsIndex},
		{methods: getPost, path: "warninglists", h: s.warninglistsIndex},
		{methods: get, path: "warninglists/view", h: s.warninglistView},
		{methods: post, path: "warninglists/toggleEnable", h: s.warninglistToggleEnable},
		{methods: post, path: "warninglists/checkValue", h: s.warninglistsCheckValue},
		{methods: post, path: "warninglists/update", h: s.knowledgeUpdate},
		{methods: get, path: "taxonomies/index", h: s.taxonomiesIndex},
		{methods: get, path: "taxonomies", h: s.taxonomiesIndex},
		{methods: get, path: "taxonomies/view", h: s.taxonomyView},
		{methods: post, path: "taxonomies/enable", h: s.taxonomyEnable},
		{methods: post, path: "taxonomies/disable", h: s.taxonomyDisable},
		{methods: post, path: "taxonomies/toggleRequired", h: s.taxonomyToggleRequired},
		{methods: post, path: "taxonomies/update", h: s.knowledgeUpdate},
		{methods: getPost, path: "galaxies/index", h: s.galaxiesIndex},
		{methods: getPost, path: "galaxies", h: s.galaxiesIndex},
		{methods: get, path: "galaxies/view", h: s.galaxyView},
		{methods: post, path: "galaxies/attachCluster", h: s.galaxyAttachCluster},
		{methods: post, path: "galaxies/detach", h: s.galaxyDetach},
		{methods: post, path: "galaxy_clusters/detach", h: s.galaxyDetach},
		{methods: post, path: "galaxies/update", h: s.knowledgeUpdate},

		// Cairn's own: the nodes serving this instance and their jobs.
		{methods: get, path: "cairn/nodes", h: s.nodesIndex},
		{methods: get, path: "cairn/jobs", h: s.jobsIndex},
	}
}
