package world

// Word lists for company names. They are invented for this generator; any
// resemblance to a real company is a coincidence of common words.

var nameHeads = []string{
	"Northwind", "Bluebird", "Cedar", "Granite", "Harbor", "Ironwood", "Juniper",
	"Keystone", "Lakeside", "Maple", "Meridian", "Oakridge", "Pinecrest", "Quarry",
	"Redstone", "Silverline", "Summit", "Tidewater", "Upland", "Valley", "Westbrook",
	"Whitfield", "Yellowstone", "Zenith", "Alder", "Aspen", "Beacon", "Birchwood",
	"Bridgeport", "Canyon", "Cascade", "Coastal", "Copperfield", "Crescent",
	"Driftwood", "Eastgate", "Evergreen", "Fairview", "Falcon", "Foxhill", "Frontier",
	"Glacier", "Goldleaf", "Greenfield", "Hawthorne", "Highland", "Hillcrest",
	"Horizon", "Kingsley", "Larkspur", "Liberty", "Lighthouse", "Lincoln", "Magnolia",
	"Mariner", "Midland", "Millstone", "Monarch", "Northgate", "Orchard", "Pacific",
	"Paragon", "Pioneer", "Prairie", "Quincy", "Ridgeline", "Riverbend", "Rockport",
	"Sagebrush", "Sandstone", "Sequoia", "Shoreline", "Sierra", "Southport",
	"Sterling", "Stonebridge", "Sunrise", "Thornton", "Timberline", "Trillium",
	"Union", "Vantage", "Vista", "Wexford", "Wildrose", "Willow", "Windmill",
	"Hartley", "Calloway", "Pemberton", "Ashford", "Brennan", "Delgado", "Okafor",
	"Lindqvist", "Nakamura", "Castellano", "Moreau", "Van Dalen", "Kowalski",
}

var nameTrades = []string{
	"Logistics", "Supply", "Foods", "Manufacturing", "Software", "Analytics",
	"Construction", "Dental", "Engineering", "Freight", "Hardware", "Health",
	"Hospitality", "Industries", "Labs", "Media", "Metals", "Motors", "Outfitters",
	"Packaging", "Pharma", "Plastics", "Printing", "Robotics", "Solutions",
	"Systems", "Textiles", "Tools", "Trading", "Transport", "Ventures", "Wholesale",
	"Electric", "Energy", "Farms", "Furniture", "Imports", "Interiors", "Marine",
	"Medical", "Networks", "Optics", "Paper", "Partners", "Pet Care", "Provisions",
	"Realty", "Security", "Storage", "Studios", "Telecom", "Travel", "Water",
	"Coffee Roasters", "Brewing", "Bakery", "Apparel", "Aerospace", "Biotech",
}

// usSuffixes and euSuffixes are legal-form suffixes. Empty strings give names
// without one.
var usSuffixes = []string{
	"Inc.", "Inc", "LLC", "L.L.C.", "Corp.", "Corporation", "Co.", "Company",
	"Ltd.", "LLP", "", "", "", "",
}

var euSuffixes = []string{
	"GmbH", "AG", "B.V.", "N.V.", "SA", "S.A.", "SAS", "SARL", "S.p.A.", "S.r.l.",
	"Ltd", "BV", "KG", "GmbH & Co. KG", "Oy", "AB", "ApS", "", "",
}

// euHeads adds European-looking heads, a few with letters outside ASCII, so
// that readers and writers meet them.
var euHeads = []string{
	"Müller", "Schäfer", "Bäckerei", "Lindström", "Østergaard", "Jørgensen",
	"Dubois", "Lefèvre", "García", "Peña", "Kovač", "Nováková", "Rossi", "Bianchi",
	"Van der Berg", "De Vries", "Janssens", "Horváth", "Nieminen", "Schmidt",
	"Weber", "Fischer", "Moreau", "Fontaine", "Ferreira", "Almeida", "Brandt",
	"Krüger", "Zimmermann", "Vogel", "Hoffmann", "Keller", "Bergmann", "Lorenz",
}

var euTrades = []string{
	"Maschinenbau", "Logistik", "Handel", "Technik", "Werkzeuge", "Transporte",
	"Distribution", "Trading", "Consulting", "Industrie", "Elektro", "Software",
	"Bouw", "Groothandel", "Import Export", "Services", "Systems", "Holding",
}

// strangerHeads and strangerTrades name payers that are not customers.
var strangerHeads = []string{
	"Acumen", "Brightwater", "Cobalt", "Dunmore", "Elmstead", "Fenwick", "Gideon",
	"Halcyon", "Inverness", "Jasper", "Kestrel", "Lowell", "Marlowe", "Nightingale",
	"Obsidian", "Penrose", "Quimby", "Rutherford", "Salisbury", "Tennyson",
}

var strangerTrades = []string{
	"Holdings", "Capital", "Consulting", "Property Mgmt", "Insurance Agency",
	"Family Trust", "Dental Group", "Auto Repair", "Catering", "Design Studio",
}

// products sold in deals: name, SKU and list price in cents of a major unit.
var products = []struct {
	name  string
	sku   string
	cents int64
}{
	{"Platform subscription (monthly)", "SUB-PLT-M", 49900},
	{"Platform subscription (annual)", "SUB-PLT-Y", 499000},
	{"Analytics add-on", "ADD-ANL", 12900},
	{"Additional user seat", "SEAT-1", 2900},
	{"Onboarding package", "SRV-ONB", 150000},
	{"Implementation services (hour)", "SRV-HR", 17500},
	{"Premium support", "SUP-PRM", 89900},
	{"Data migration", "SRV-MIG", 325000},
	{"Hardware gateway", "HW-GW1", 64950},
	{"Sensor kit", "HW-SNS", 18995},
	{"Training day", "TRN-DAY", 120000},
	{"API call bundle (1M)", "API-1M", 7500},
	{"Storage (TB-month)", "STO-TB", 2310},
	{"Custom integration", "SRV-INT", 780000},
	{"Extended warranty", "WAR-EXT", 29999},
}

// genericRemittance is free text that names no document.
var genericRemittance = []string{
	"PAYMENT", "ACH PAYMENT", "THANK YOU", "VENDOR PAYMENT", "AP PAYMENT",
	"SUPPLIER PAYMENT", "PMT", "REMITTANCE", "", "",
}

// entryDescriptions are NACHA company entry descriptions (10 characters).
var entryDescriptions = []string{
	"VENDOR PAY", "PAYMENT", "AP PAYMENT", "EDI PAYMNT", "PAYABLES", "CORP PMT",
}
