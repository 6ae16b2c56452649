package web

// dashboardRoutes are the dashboard's page and JSON routes, for the route table.
func (s *Server) dashboardRoutes() []Route {
	return nil
}
