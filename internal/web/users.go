package web

// userRoutes are the user-management API routes, for the route table.
func (s *Server) userRoutes() []Route {
	return nil
}
